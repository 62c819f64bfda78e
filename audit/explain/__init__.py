"""Stage package 'explain' (see DESIGN.md)."""
