"""Stage package 'population' (see DESIGN.md)."""
