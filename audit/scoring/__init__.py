"""Stage package 'scoring' (see DESIGN.md)."""
