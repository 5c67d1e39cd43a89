"""Pure renderers: the dataset card, changelog, report page, validation page and the text views of the commands."""
