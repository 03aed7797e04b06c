"""One module per speech engine; each is imported only when its provider is used."""
