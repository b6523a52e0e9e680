// Package shm is the System V shared memory that frames travel through
// between the core and encoder plugins. A frame sent by value over gRPC
// costs tens of milliseconds at 720p; a segment both processes map costs a
// small request naming the segment and an offset. System V segments, not
// memfd, because the X server's MIT-SHM capture writes into one already
// and xgb cannot pass file descriptors, so the capture buffer itself can be
// handed to the encoder without a copy.
package shm
