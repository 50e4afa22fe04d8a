# review (fr).
