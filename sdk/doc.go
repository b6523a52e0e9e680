// Package sdk is what xroam plugin authors import. It is its own Go module
// and never imports xroam's core, so that a third-party encoder,
// authenticator, clipboard backend or transport builds against sdk/ alone.
//
// APIVersion is the version of the plugin protocol this SDK speaks; the
// host refuses a plugin whose versions it does not share.
package sdk

// APIVersion is the plugin protocol version implemented by this SDK.
const APIVersion = 1
