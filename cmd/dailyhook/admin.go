package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"riverqueue.com/riverui"
)

// telemetry is the OpenTelemetry SDK that listen wires: metrics for the
// admin listener's /metrics, and traces, exported over OTLP when
// OpenTelemetry's environment variables name an endpoint.
type telemetry struct {
	meters   *sdkmetric.MeterProvider
	tracers  *sdktrace.TracerProvider
	registry *prometheus.Registry
}

// newTelemetry sets up the SDK and makes it, with the W3C trace-context
// propagator, OpenTelemetry's globals. A tracer provider is installed even
// without an exporter, so that forwarded requests carry a traceparent the
// app's own traces can join.
func newTelemetry(ctx context.Context, e *env) (*telemetry, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		// The instruments are named as Prometheus shows them
		// (dailyhook_deliveries_total, ..._seconds): add no suffix.
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	t := &telemetry{meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), registry: reg}
	var opts []sdktrace.TracerProviderOption
	if e.getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || e.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		te, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("traces: OTLP exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(te))
	}
	t.tracers = sdktrace.NewTracerProvider(opts...)
	otel.SetMeterProvider(t.meters)
	otel.SetTracerProvider(t.tracers)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return t, nil
}

// shutdown flushes and stops the SDK.
func (t *telemetry) shutdown(ctx context.Context) error {
	return errors.Join(t.tracers.Shutdown(ctx), t.meters.Shutdown(ctx))
}

// An admin is listen's admin listener: health, readiness, metrics and
// River's UI, on an address of its own, never the one facing Daily.
type admin struct {
	srv *http.Server
	ui  *riverui.Handler
}

// errAdminPassword is why an admin listener off loopback does not start.
var errAdminPassword = errors.New("-admin off a loopback address needs DAILYHOOK_ADMIN_PASSWORD, for HTTP basic auth")

// startAdmin serves the admin endpoints of in on ln, whose address was
// given as name (HOST:PORT, or "" when not known), until stop, behind
// adminGuard: on a loopback address it may run without a password;
// elsewhere it requires the basic-auth password password (any user name),
// and refuses to start without one.
func startAdmin(ctx context.Context, ln net.Listener, name string, in *inbox.Inbox, tel *telemetry, password string, log *slog.Logger) (*admin, error) {
	loopback := isLoopback(ln.Addr())
	if !loopback && password == "" {
		return nil, errAdminPassword
	}
	ui, err := riverUI(in, log)
	if err != nil {
		return nil, fmt.Errorf("riverui: %w", err)
	}
	if err := ui.Start(ctx); err != nil {
		return nil, fmt.Errorf("riverui: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := in.Ready(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(tel.registry, promhttp.HandlerOpts{}))
	mux.Handle("/riverui/", ui)
	// River's UI opens on the jobs running, most often none: open it on
	// the deliveries waiting instead.
	mux.Handle("GET /riverui/{$}", http.RedirectHandler("/riverui/jobs?state=available", http.StatusFound))
	if !loopback {
		log.Warn("dailyhook: the admin listener is off loopback: without TLS in front of it, its password crosses the network in clear", "addr", ln.Addr().String())
	}
	h := newAdminGuard(ln.Addr(), name, password, mux)
	a := &admin{ui: ui, srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second}}
	go a.srv.Serve(ln)
	return a, nil
}

// stop shuts the admin listener down.
func (a *admin) stop(ctx context.Context) error {
	return ignoreClosed(a.srv.Shutdown(ctx))
}

// riverUI returns River's UI over in's River client, of either store.
func riverUI(in *inbox.Inbox, log *slog.Logger) (*riverui.Handler, error) {
	opts := &riverui.HandlerOpts{Logger: log, Prefix: "/riverui"}
	if c := inbox.RiverClient[*sql.Tx](in); c != nil {
		opts.Endpoints = riverui.NewEndpoints(c, nil)
	} else if c := inbox.RiverClient[pgx.Tx](in); c != nil {
		opts.Endpoints = riverui.NewEndpoints(c, nil)
	} else {
		return nil, errors.New("the inbox's store is neither SQLite nor PostgreSQL")
	}
	return riverui.NewHandler(opts)
}

// isLoopback reports whether addr is on a loopback interface.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// An adminGuard stands in front of every admin endpoint but /healthz,
// which it answers itself: liveness probes need no password, and it
// reveals nothing. For the rest it checks, in order:
//
//   - the Host header, against DNS rebinding: without a password, or on a
//     specific address, it must name the listener (localhost, 127.0.0.1,
//     [::1] or the listener's own address, with its port); with a password
//     on a wildcard address (0.0.0.0, ::) any Host is accepted, since
//     probes and Prometheus use the pod's IP; refused with 421;
//   - the password, when there is one, on every address, loopback
//     included: basic auth with any user name, compared in constant time;
//     refused with 401;
//   - that a request that changes state (anything but GET, HEAD and
//     OPTIONS) comes from the listener's own pages: a Sec-Fetch-Site other
//     than same-origin or none, or an Origin other than the listener's own,
//     is refused with 403. There is no Content-Type rule: River's UI sends
//     its own requests as text/plain.
type adminGuard struct {
	next http.Handler
	// hosts are the Host values accepted, lower case; nil accepts any.
	hosts map[string]bool
	// password is the SHA-256 of the password, or nil for none: comparing
	// digests in constant time does not leak the password's length.
	password *[sha256.Size]byte
}

// newAdminGuard guards next, served on addr, which was given as name
// (HOST:PORT, or ""), with password ("" for none).
func newAdminGuard(addr net.Addr, name, password string, next http.Handler) *adminGuard {
	g := &adminGuard{next: next}
	if password != "" {
		sum := sha256.Sum256([]byte(password))
		g.password = &sum
	}
	tcp, _ := addr.(*net.TCPAddr)
	if tcp == nil || (password != "" && tcp.IP.IsUnspecified()) {
		return g
	}
	port := strconv.Itoa(tcp.Port)
	g.hosts = map[string]bool{}
	given, _, _ := net.SplitHostPort(name)
	for _, h := range []string{"localhost", "127.0.0.1", "::1", tcp.IP.String(), given} {
		if h == "" {
			continue
		}
		g.hosts[strings.ToLower(net.JoinHostPort(h, port))] = true
	}
	return g
}

// ServeHTTP answers /healthz, or checks r and passes it on.
func (g *adminGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		fmt.Fprintln(w, "ok")
		return
	}
	if g.hosts != nil && !g.hosts[strings.ToLower(r.Host)] {
		http.Error(w, "this admin listener answers only to its own address (Host header)", http.StatusMisdirectedRequest)
		return
	}
	if g.password != nil {
		_, got, _ := r.BasicAuth()
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], g.password[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="dailyhook admin", charset="UTF-8"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
	}
	if !sameOrigin(r) {
		http.Error(w, "cross-origin requests may not change the inbox", http.StatusForbidden)
		return
	}
	g.next.ServeHTTP(w, r)
}

// sameOrigin reports whether r is safe (GET, HEAD or OPTIONS) or comes
// from the listener's own origin, as far as the browser says: a
// Sec-Fetch-Site of same-origin or none, and an Origin, if any, whose host
// is r's Host. A request that says neither comes from no browser, and
// cannot be a cross-site one.
func sameOrigin(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return len(r.Header.Values("Origin")) == 0
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host)
}
