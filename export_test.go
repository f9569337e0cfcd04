package events

// SetClaimWaitsHook sets the function called each time a claim waits for
// another request, until the returned function resets it. Tests that use
// it do not run in parallel.
func SetClaimWaitsHook(f func()) (reset func()) {
	testHookClaimWaits = f
	return func() { testHookClaimWaits = nil }
}
