"""Clean stage: repair titles and abstracts with named rules (rules), TeX and URL text (tex, urls), rules run
only where their trigger matches (triggered), and tag what is not a paper (quality).
"""
