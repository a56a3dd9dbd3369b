"""Draft a plan edition from its text: reading, structure, extraction, Turtle."""
