package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// AdminPrefix is the path prefix of the admin API.
const AdminPrefix = "/_cmkguard/"

// Controls are the deny rules and faults the admin API reads and replaces,
// with durations written as strings ("50ms"), as in an estate file.
type Controls struct {
	Deny   []DenyRule    `json:"deny"`
	Faults *EstateFaults `json:"faults,omitempty"`
}

// AdminHandler serves the admin API, meant for its own loopback address
// (as LocalStack's and Moto's are, it is not an AWS API and needs no
// signature):
//
//	GET  /_cmkguard/requests  the request log, oldest first, as a JSON array
//	POST /_cmkguard/reset     back to the loaded estate; the log is emptied
//	GET  /_cmkguard/faults    the deny rules and faults in force
//	POST /_cmkguard/faults    replace them: {"deny": [...], "faults": {...}};
//	                          a missing member means none
//
// Errors are JSON {"error": "..."} with status 400, 404 or 405.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(AdminPrefix+"requests", func(w http.ResponseWriter, r *http.Request) {
		if !allowMethod(w, r, http.MethodGet) {
			return
		}
		entries := s.Requests()
		if entries == nil {
			entries = []LogEntry{}
		}
		writeAdminJSON(w, http.StatusOK, entries)
	})
	mux.HandleFunc(AdminPrefix+"reset", func(w http.ResponseWriter, r *http.Request) {
		if !allowMethod(w, r, http.MethodPost) {
			return
		}
		if err := s.Reset(); err != nil {
			adminError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc(AdminPrefix+"faults", func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			writeAdminJSON(w, http.StatusOK, s.controls())
		case http.MethodPost:
			s.postControls(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			adminError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use GET or POST")
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, "no admin endpoint "+r.URL.Path+"; see docs/emulator.md")
	})
	return mux
}

func (s *Server) controls() Controls {
	f := s.CurrentFaults()
	ef := &EstateFaults{Throttle: f.Throttle, ServerErrorRate: f.ServerErrorRate, LoseAnswer: f.LoseAnswer, LoseAnswerLimit: f.LoseAnswerLimit, Seed: f.Seed}
	if f.Latency > 0 {
		ef.Latency = f.Latency.String()
	}
	if f.Jitter > 0 {
		ef.Jitter = f.Jitter.String()
	}
	deny := s.DenyRules()
	if deny == nil {
		deny = []DenyRule{}
	}
	return Controls{Deny: deny, Faults: ef}
}

func (s *Server) postControls(w http.ResponseWriter, r *http.Request) {
	var in Controls
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes)); err != nil {
		adminError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		adminError(w, http.StatusBadRequest, fmt.Sprintf("body is not {\"deny\": [...], \"faults\": {...}}: %v", err))
		return
	}
	for i, d := range in.Deny {
		if d.Action == "" {
			adminError(w, http.StatusBadRequest, fmt.Sprintf("deny[%d] has no action", i))
			return
		}
	}
	var faults Faults
	if in.Faults != nil {
		f, err := in.Faults.Faults()
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		faults = f
	}
	s.SetDeny(in.Deny)
	s.SetFaults(faults)
	writeAdminJSON(w, http.StatusOK, s.controls())
}

func allowMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	adminError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use "+method)
	return false
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		adminError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func adminError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
