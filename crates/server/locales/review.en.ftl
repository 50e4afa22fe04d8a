# review (en).
