"""Records one organization shares with another: grants and the copies they carry."""
