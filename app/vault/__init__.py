"""The cookie vault (public import: app.secrets)."""
