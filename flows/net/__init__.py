"""The network: the polite HTTP client, the one retry policy, robots.txt and the URL scrubber, shared by the
sources and the Hub release.
"""
