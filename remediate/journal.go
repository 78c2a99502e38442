package remediate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// JournalVersion is the version of the journal format.
const JournalVersion = "cmkguard.journal/v1"

// Record types.
const (
	RecordPlan       = "plan"        // first record: the whole plan
	RecordBegin      = "begin"       // a step is about to act
	RecordNote       = "note"        // a fact learned mid-step (a created key's ARN, a task that was running)
	RecordDone       = "done"        // a step finished and verified
	RecordFailed     = "failed"      // a step failed; the run stopped
	RecordRollback   = "rollback"    // a rollback action finished
	RecordFinished   = "finished"    // every step is done
	RecordRolledBack = "rolled-back" // the rollback finished; the journal is closed
	RecordSkipped    = "skipped"     // a step not run: what it acts on no longer exists or changed (Value says why)
	RecordWarning    = "warning"     // something the person must know; the run went on
	// RecordRepaired follows a line torn by a crash mid-write: the journal
	// stays append-only, and the torn line is skipped when read.
	RecordRepaired = "repaired-torn-line"
)

// Record is one line of a journal.
type Record struct {
	Time    string `json:"time"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
	Step    string `json:"step,omitempty"`
	Key     string `json:"key,omitempty"`
	Value   string `json:"value,omitempty"`
	Error   string `json:"error,omitempty"`
	Plan    *Plan  `json:"plan,omitempty"`
}

// Journal is an append-only file of JSON lines. Every record is written and
// fsync'd before the call that appended it returns, so that after a crash the
// journal says at least everything that was done.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	now  func() time.Time
	// Records are every record, read back or appended.
	records []Record
}

// errJournalInUse says another process holds a journal's lock.
var errJournalInUse = errors.New("is in use by another cmkguard run (apply, resume or rollback); wait for it to end")

// CreateJournal starts a new journal for plan at path. It refuses to
// overwrite an existing file: that journal belongs to a run to resume. The
// journal stays locked until Close, so that no second run of it (another
// apply, a resume or a rollback) can act at the same time.
func CreateJournal(path string, plan *Plan, now func() time.Time) (*Journal, error) {
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	restart := false
	if errors.Is(err, os.ErrExist) && unstarted(path) {
		// A run killed while writing its very first record did nothing:
		// nothing acts before the plan record is durable. It is emptied
		// only once locked, so that a run still writing it is not cut short.
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
		restart = true
	}
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("journal %s already exists: continue that run with --resume %s (or roll it back with --rollback %s)", path, path, path)
		}
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if err := lock(f, path); err != nil {
		return nil, err
	}
	// A journal names every resource of the run: 0600, whatever the file
	// left by a killed run was given.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if restart {
		if !unstarted(path) {
			f.Close()
			return nil, fmt.Errorf("journal %s already exists: continue that run with --resume %s (or roll it back with --rollback %s)", path, path, path)
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, fmt.Errorf("create journal: %w", err)
		}
	}
	syncDir(path)
	j := &Journal{f: f, path: path, now: now}
	if err := j.Append(Record{Type: RecordPlan, Version: JournalVersion, Plan: plan}); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// lock locks a journal's file, or closes it and says who holds it.
func lock(f *os.File, path string) error {
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errJournalInUse) {
			return fmt.Errorf("journal %s %w", path, err)
		}
		return fmt.Errorf("lock journal %s: %w", path, err)
	}
	return nil
}

// unstarted says whether an existing journal holds not even one complete
// record (a run killed while writing its plan record).
func unstarted(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && !bytes.Contains(b, []byte("\n"))
}

// Unstarted says whether the journal at path is missing or holds not even
// its plan record: such a run did nothing, and --apply may start it afresh.
func Unstarted(path string) bool {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return true
	}
	return unstarted(path)
}

// IsJournal says whether path holds a journal (its first line is a plan
// record) rather than a plan file. A missing or unreadable file is taken for
// a journal, so that opening it says what is wrong.
func IsJournal(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return true
	}
	var first struct {
		Type    string `json:"type"`
		Version string `json:"version"`
	}
	if json.Unmarshal(line, &first) == nil && first.Type == "" && first.Version == PlanVersion {
		return false // a one-line plan
	}
	if bytes.HasPrefix(bytes.TrimSpace(line), []byte("{")) && !bytes.Contains(line, []byte(`"type"`)) {
		return false // an indented plan: its first line is "{"
	}
	return true
}

// OpenJournal reopens a journal to continue it, and locks it until Close. A
// torn last line (a crash in the middle of a write) is ignored: the step it
// belonged to is re-run, and steps are idempotent.
func OpenJournal(path string, now func() time.Time) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if err := lock(f, path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open journal: %w", err)
	}
	records, torn, err := parseJournal(b)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &Journal{f: f, path: path, now: now, records: records}
	if torn {
		// End the torn line and say so, so that the next reader skips it.
		if _, err := f.Write([]byte("\n")); err != nil {
			f.Close()
			return nil, fmt.Errorf("repair journal: %w", err)
		}
		if err := j.Append(Record{Type: RecordRepaired}); err != nil {
			f.Close()
			return nil, err
		}
	}
	return j, nil
}

func parseJournal(b []byte) ([]Record, bool, error) {
	var records []Record
	torn := len(b) > 0 && b[len(b)-1] != '\n'
	lines := bytes.Split(b, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			if torn && i == len(lines)-1 {
				break // the torn last line: its step is re-run
			}
			if i+1 < len(lines) && bytes.Contains(lines[i+1], []byte(`"type":"`+RecordRepaired+`"`)) {
				continue // a torn line, repaired when the journal was reopened
			}
			return nil, false, fmt.Errorf("line %d is not a journal record: %w", i+1, err)
		}
		records = append(records, r)
	}
	if len(records) == 0 || records[0].Type != RecordPlan || records[0].Plan == nil {
		return nil, false, errors.New("does not start with a plan record: not a cmkguard journal")
	}
	if records[0].Version != JournalVersion {
		return nil, false, fmt.Errorf("version %q is not supported (want %q)", records[0].Version, JournalVersion)
	}
	p := records[0].Plan
	if d, err := p.ComputeDigest(); err != nil || d != p.Digest {
		return nil, false, ErrTampered
	}
	if err := p.Validate(); err != nil {
		return nil, false, err
	}
	return records, torn, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Plan is the plan the journal records.
func (j *Journal) Plan() *Plan { return j.records[0].Plan }

// Records returns a copy of every record.
func (j *Journal) Records() []Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Record(nil), j.records...)
}

// Append writes one record and fsyncs it.
func (j *Journal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	r.Time = j.now().UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode journal record: %w", err)
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.path, err)
	}
	j.records = append(j.records, r)
	return nil
}

// Close closes the journal's file.
func (j *Journal) Close() error { return j.f.Close() }

// Progress is what a journal says has happened.
type Progress struct {
	Begun map[string]bool
	Done  map[string]bool
	Notes map[string]string
	// Skipped are steps not run, with why (what they act on is gone or changed).
	Skipped map[string]string
	// Warnings are what the runs reported and went on from, in order.
	Warnings   []string
	LastError  string
	Finished   bool
	RolledBack bool
}

// Progress replays the journal.
func (j *Journal) Progress() Progress {
	j.mu.Lock()
	defer j.mu.Unlock()
	return replay(j.records)
}

func replay(records []Record) Progress {
	p := Progress{Begun: map[string]bool{}, Done: map[string]bool{}, Notes: map[string]string{}, Skipped: map[string]string{}}
	for _, r := range records {
		switch r.Type {
		case RecordBegin:
			p.Begun[r.Step] = true
		case RecordDone:
			p.Done[r.Step] = true
		case RecordNote:
			p.Notes[r.Key] = r.Value
		case RecordSkipped:
			p.Skipped[r.Step] = r.Value
		case RecordWarning:
			p.Warnings = append(p.Warnings, r.Value)
		case RecordFailed:
			p.LastError = r.Error
		case RecordFinished:
			p.Finished = true
		case RecordRolledBack:
			p.RolledBack = true
		}
	}
	return p
}

// syncDir fsyncs the directory holding path, so that a new file's entry
// survives a crash. Best effort: not every platform can.
func syncDir(path string) {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

var _ io.Closer = (*Journal)(nil)
