// Package xclient is the attach client's side of X: Display creates the
// local windows that stand for remote ones, paints BGRX pixels into them
// (MIT-SHM for large paints, otherwise PutImage in strips: xgb never uses
// BIG-REQUESTS, so one request must stay under the maximum request
// length), makes RENDER cursors and turns X input events into plain Go
// values with keysym names, which is what xpra's key packets carry. It
// deals in plain Go values so that core/client never needs the X protocol.
package xclient
