# party-screening (fr).
