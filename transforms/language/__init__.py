"""Language stage: the English gate and langdetect results as columns (detect), abstracts mixing two scripts
(scripts).
"""
