package plugin

import (
	"context"
	"encoding/json"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xroam/xroam/sdk/auth"
	authv1 "github.com/xroam/xroam/sdk/proto/auth/v1"
	"github.com/xroam/xroam/sdk/schema"
)

type authGRPC struct {
	goplugin.NetRPCUnsupportedPlugin
	p *Auth
}

func (g *authGRPC) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	authv1.RegisterAuthServer(s, &authServer{p: g.p})
	return nil
}

func (g *authGRPC) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &AuthClient{c: authv1.NewAuthClient(c)}, nil
}

// authServer serves one Authenticator made by Configure.
type authServer struct {
	authv1.UnimplementedAuthServer
	p    *Auth
	impl configured[auth.Authenticator]
}

func (s *authServer) Configure(ctx context.Context, req *authv1.ConfigureRequest) (*authv1.ConfigureResponse, error) {
	if err := s.impl.configure(ctx, s.p.Describe(), req.GetApiVersion(), req.GetConfigJson(), s.p.New); err != nil {
		return nil, err
	}
	return &authv1.ConfigureResponse{}, nil
}

func (s *authServer) get() (auth.Authenticator, error) { return s.impl.get() }

func (s *authServer) Prepare(ctx context.Context, req *authv1.PrepareRequest) (*authv1.PrepareResponse, error) {
	impl, err := s.get()
	if err != nil {
		return nil, err
	}
	resp, err := impl.Prepare(ctx, &auth.PrepareRequest{Username: req.GetUsername(), Peer: peerFromProto(req.GetPeer()), Display: req.GetDisplay(), ClientDigests: req.GetClientDigests()})
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &authv1.PrepareResponse{Challenge: resp.Challenge, Digests: resp.Digests, Prompt: resp.Prompt}, nil
}

func (s *authServer) Authenticate(ctx context.Context, req *authv1.AuthenticateRequest) (*authv1.AuthenticateResponse, error) {
	impl, err := s.get()
	if err != nil {
		return nil, err
	}
	resp, err := impl.Authenticate(ctx, RequestFromProto(req))
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	if resp == nil {
		return nil, status.Error(codes.Internal, "module returned no response")
	}
	return ResponseToProto(resp), nil
}

// AuthClient is the host's view of an auth plugin subprocess.
type AuthClient struct {
	c authv1.AuthClient
}

// Configure hands the plugin its configuration and the negotiated API
// version.
func (a *AuthClient) Configure(ctx context.Context, apiVersion int, cfg schema.Values) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding configuration: %w", err)
	}
	if _, err := a.c.Configure(ctx, &authv1.ConfigureRequest{ApiVersion: uint32(apiVersion), ConfigJson: b}); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	return nil
}

// Prepare implements auth.Authenticator.
func (a *AuthClient) Prepare(ctx context.Context, req *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	resp, err := a.c.Prepare(ctx, &authv1.PrepareRequest{Username: req.Username, Peer: peerToProto(req.Peer), Display: req.Display, ClientDigests: req.ClientDigests})
	if err != nil {
		return nil, fmt.Errorf("auth plugin prepare: %w", err)
	}
	return &auth.PrepareResponse{Challenge: resp.GetChallenge(), Digests: resp.GetDigests(), Prompt: resp.GetPrompt()}, nil
}

// Authenticate implements auth.Authenticator.
func (a *AuthClient) Authenticate(ctx context.Context, req *auth.Request) (*auth.Response, error) {
	resp, err := a.c.Authenticate(ctx, RequestToProto(req))
	if err != nil {
		return nil, fmt.Errorf("auth plugin: %w", err)
	}
	return ResponseFromProto(resp), nil
}

func peerToProto(p auth.Peer) *authv1.Peer {
	return &authv1.Peer{Network: p.Network, Addr: p.Addr, HasCreds: p.HasCreds, Uid: p.UID, Gid: p.GID, Pid: p.PID}
}

func peerFromProto(p *authv1.Peer) auth.Peer {
	return auth.Peer{Network: p.GetNetwork(), Addr: p.GetAddr(), HasCreds: p.GetHasCreds(), UID: p.GetUid(), GID: p.GetGid(), PID: p.GetPid()}
}

// RequestToProto converts a request for the wire.
func RequestToProto(r *auth.Request) *authv1.AuthenticateRequest {
	out := &authv1.AuthenticateRequest{Username: r.Username, Peer: peerToProto(r.Peer), Display: r.Display,
		HasPassword: r.HasPassword, Password: r.Password, SocketType: r.SocketType, Encrypted: r.Encrypted}
	if c := r.Challenge; c != nil {
		out.Challenge = &authv1.Challenge{Digest: c.Digest, SaltDigest: c.SaltDigest, ServerSalt: c.ServerSalt, ClientSalt: c.ClientSalt, Response: c.Response}
	}
	return out
}

// RequestFromProto converts a request from the wire.
func RequestFromProto(r *authv1.AuthenticateRequest) *auth.Request {
	out := &auth.Request{Username: r.GetUsername(), Peer: peerFromProto(r.GetPeer()), Display: r.GetDisplay(),
		HasPassword: r.GetHasPassword(), Password: r.GetPassword(), SocketType: r.GetSocketType(), Encrypted: r.GetEncrypted()}
	if c := r.GetChallenge(); c != nil {
		out.Challenge = &auth.Challenge{Digest: c.GetDigest(), SaltDigest: c.GetSaltDigest(), ServerSalt: c.GetServerSalt(), ClientSalt: c.GetClientSalt(), Response: c.GetResponse()}
	}
	return out
}

// ResponseToProto converts a response for the wire.
func ResponseToProto(r *auth.Response) *authv1.AuthenticateResponse {
	return &authv1.AuthenticateResponse{Allowed: r.Allowed, Reason: r.Reason, Username: r.Username, HasIds: r.HasIDs,
		Uid: r.UID, Gid: r.GID, Env: r.Env, Displays: r.Displays, SessionOptions: r.SessionOptions}
}

// ResponseFromProto converts a response from the wire.
func ResponseFromProto(r *authv1.AuthenticateResponse) *auth.Response {
	return &auth.Response{Allowed: r.GetAllowed(), Reason: r.GetReason(), Username: r.GetUsername(), HasIDs: r.GetHasIds(),
		UID: r.GetUid(), GID: r.GetGid(), Env: r.GetEnv(), Displays: r.GetDisplays(), SessionOptions: r.GetSessionOptions()}
}
