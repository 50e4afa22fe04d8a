# licences (en).
