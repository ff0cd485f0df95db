"""Sites without feeds as feeds: the Source protocol, the registry, per-site politeness, Zhihu and script sources."""
