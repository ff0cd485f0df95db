"""Feed bytes in and out: parsing (lxml fast path + feedparser, JSON Feed), sanitising, discovery, OPML, export."""
