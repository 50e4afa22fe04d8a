# party-screening (en).
