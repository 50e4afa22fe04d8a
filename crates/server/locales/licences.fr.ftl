# licences (fr).
