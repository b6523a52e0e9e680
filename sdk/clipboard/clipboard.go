package clipboard

import "context"

// Backend is what a clipboard plugin implements. The host returns the same
// interface for a built-in backend and for a plugin subprocess.
type Backend interface {
	// Watch delivers the backend's events until ctx ends or the backend
	// fails; the channel is closed then. The host calls it once per
	// backend (again after a restart).
	Watch(ctx context.Context) (<-chan Event, error)
	// Claim takes a selection for the peer, which offers Targets (empty
	// when it did not say which).
	Claim(ctx context.Context, req *ClaimRequest) error
	// Release gives up a selection taken with Claim.
	Release(ctx context.Context, selection string) error
	// Read returns the local owner's contents of a selection as a target.
	Read(ctx context.Context, req *ReadRequest) (*Data, error)
	// Answer completes a Wanted event: Data nil refuses.
	Answer(ctx context.Context, req *AnswerRequest) error
}

// EventKind says what an Event reports.
type EventKind string

// The event kinds.
const (
	// OwnerChanged: a local application took Selection.
	OwnerChanged EventKind = "owner-changed"
	// Wanted: a local application asks for Selection, claimed for the
	// peer, as Target; answer with Answer and the event's ID.
	Wanted EventKind = "wanted"
)

// Event is something that happened on the backend's display.
type Event struct {
	Kind      EventKind
	Selection string
	Target    string
	ID        uint64
}

// Data is the contents of a selection converted to one target: an X type
// name ("UTF8_STRING", "image/png", "ATOM"), a format (8, 16 or 32 bits per
// item) and the bytes, little-endian for formats 16 and 32. A list of
// targets (type ATOM) is carried as names in Targets.
type Data struct {
	Type    string
	Format  int
	Bytes   []byte
	Targets []string
}

// Size is the number of bytes the data carries.
func (d *Data) Size() int {
	if d == nil {
		return 0
	}
	n := len(d.Bytes)
	for _, t := range d.Targets {
		n += len(t)
	}
	return n
}

// ClaimRequest takes a selection for the peer.
type ClaimRequest struct {
	Selection string
	Targets   []string
}

// ReadRequest asks for the local contents of a selection.
type ReadRequest struct {
	Selection, Target string
}

// AnswerRequest completes a Wanted event.
type AnswerRequest struct {
	ID   uint64
	Data *Data
}

// TextTargets are the targets that carry plain text.
func TextTargets() []string {
	return []string{"UTF8_STRING", "text/plain;charset=utf-8", "TEXT", "STRING", "text/plain"}
}
