"""Reading pictures and drawing on them."""
