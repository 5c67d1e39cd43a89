"""Releasing a version on the Hugging Face Hub: the folder, the plan, the Hub calls."""
