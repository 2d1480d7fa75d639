"""newsgen: a static site generator for news archives."""
