// Package sdk is what xroam plugin authors import. It is its own Go module
// and never imports xroam's core, so that a third-party encoder,
// authenticator, clipboard backend or transport builds against sdk/ alone.
//
// APIVersion is the newest version of the plugin protocol this SDK speaks
// and MinAPIVersion the oldest; the host negotiates the highest version
// both sides share and refuses a plugin with none in common.
package sdk

// APIVersion is the newest plugin protocol version this SDK implements.
// Version 2 returns an encoder's output through shared memory (version 1
// sent it back by value); the other kinds are the same in both.
const APIVersion = 2

// MinAPIVersion is the oldest plugin protocol version this SDK still
// speaks, so that a new host runs plugins built against an older SDK and
// the reverse.
const MinAPIVersion = 1

// APIVersions lists the versions from MinAPIVersion to APIVersion.
func APIVersions() []int {
	v := make([]int, 0, APIVersion-MinAPIVersion+1)
	for i := MinAPIVersion; i <= APIVersion; i++ {
		v = append(v, i)
	}
	return v
}
