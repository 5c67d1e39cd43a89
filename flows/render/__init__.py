"""Pure renderers: the dataset card, changelog, report page and validation page (the pages from autoescaped
Jinja2 templates in ``templates/``) and the text views of the commands.
"""
