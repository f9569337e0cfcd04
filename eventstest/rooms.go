package eventstest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/dailywebhooks/events"
)

// A Room is a room of a fake Daily, with enough of Daily's room object
// for pinless dial-in: its SIP endpoint, under config.sip_uri.endpoint
// and sip_uri.endpoint.
type Room struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	URL     string `json:"url"`
	Privacy string `json:"privacy"`
	// SIP is the room's sip property, as created.
	SIP json.RawMessage `json:"-"`
	// Endpoint is the room's SIP endpoint, "" without SIP dial-in.
	Endpoint string `json:"-"`
}

// DefaultSIPReadyAfter is how long after its creation a room's SIP
// endpoint of a fake Daily becomes ready by default
// (DailyConfig.SIPReadyAfter).
const DefaultSIPReadyAfter = 300 * time.Millisecond

// wire returns rm as the fake's API answers it.
func (rm Room) wire() map[string]any {
	out := map[string]any{"id": rm.ID, "name": rm.Name, "url": rm.URL, "privacy": rm.Privacy, "api_created": true, "config": map[string]any{}}
	if rm.Endpoint != "" {
		uri := map[string]any{"endpoint": rm.Endpoint}
		out["config"] = map[string]any{"sip": rm.SIP, "sip_uri": uri}
		out["sip_uri"] = uri
	}
	return out
}

// createRoom serves POST /v1/rooms: a room, with SIP dial-in when its
// properties.sip has sip_mode "dial-in"; its endpoint becomes ready
// DailyConfig.SIPReadyAfter later, when dialin.ready goes through the
// webhook.
func (d *Daily) createRoom(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name       string `json:"name"`
		Privacy    string `json:"privacy"`
		Properties struct {
			SIP json.RawMessage `json:"sip"`
		} `json:"properties"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "json-parsing-error", "invalid JSON body")
		return
	}
	var sip struct {
		Mode string `json:"sip_mode"`
	}
	json.Unmarshal(in.Properties.SIP, &sip)
	rm := &Room{ID: newUUID(), Name: cmpOr(in.Name, newUUID()[:12]), Privacy: cmpOr(in.Privacy, "public"), SIP: in.Properties.SIP}
	rm.URL = "https://fake.daily.co/" + rm.Name
	d.dial.mu.Lock()
	if _, taken := d.dial.rooms[rm.Name]; taken {
		d.dial.mu.Unlock()
		apiError(w, http.StatusBadRequest, "invalid-request-error", "a room named "+rm.Name+" already exists")
		return
	}
	if sip.Mode == "dial-in" {
		rm.Endpoint = "sip:" + rm.Name + "@fake.sip.daily.co"
		d.dial.endpoints[rm.Endpoint] = false
	}
	d.dial.rooms[rm.Name] = rm
	d.dial.mu.Unlock()
	if rm.Endpoint != "" {
		time.AfterFunc(d.cfg.SIPReadyAfter, func() { d.sipReady(*rm) })
	}
	writeJSON(w, rm.wire())
}

// getRoom serves GET /v1/rooms/{name}.
func (d *Daily) getRoom(w http.ResponseWriter, r *http.Request) {
	d.dial.mu.Lock()
	rm, ok := d.dial.rooms[r.PathValue("name")]
	d.dial.mu.Unlock()
	if !ok {
		apiError(w, http.StatusNotFound, "not-found", "no such room")
		return
	}
	writeJSON(w, rm.wire())
}

// sipReady sends dialin.ready through the webhook, when there is one, and
// then makes rm's SIP endpoint ready: a call connected to it, and its
// dialin.connected, come after dialin.ready.
func (d *Daily) sipReady(rm Room) {
	defer func() {
		d.dial.mu.Lock()
		d.dial.endpoints[rm.Endpoint] = true
		d.dial.mu.Unlock()
	}()
	if _, ok := d.Webhook(); !ok {
		return
	}
	sample, _ := Sample(events.TypeDialinReady)
	var ev map[string]any
	json.Unmarshal(sample, &ev)
	p, _ := ev["payload"].(map[string]any)
	now := d.cfg.Now()
	p["room"], p["sip_endpoint"], p["timestamp"] = rm.Name, rm.Endpoint, strconv.FormatInt(now.Unix(), 10)
	ev["id"] = "dialin.ready-" + rm.ID[:8]
	ev["event_ts"] = json.Number(strconv.FormatFloat(float64(now.UnixMilli())/1000, 'f', -1, 64))
	body, _ := json.Marshal(ev)
	d.Send(context.Background(), body)
}
