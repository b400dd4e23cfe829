package peers

// ParseSippStats is parseSippStats for the tests.
var ParseSippStats = parseSippStats
