package remediate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// One plan is applied by one run, whatever journal path each is given. A
// journal's own lock keeps two runs off one journal; a claim keeps two
// journals off one plan. It has two halves:
//
//   - on this machine, a record per plan id in the state directory, naming
//     the journal that applies it, and a lock on it for the run's life;
//   - in AWS, the plan-id tag on everything a run creates: a fresh apply
//     that finds any is refused before its first change (Applier.Check).

// StateDirEnv overrides the directory claims are kept in.
const StateDirEnv = "CMKGUARD_STATE_DIR"

// StateDir is where cmkguard keeps what must outlive one run:
// $CMKGUARD_STATE_DIR, else $XDG_STATE_HOME/cmkguard, else
// ~/.local/state/cmkguard.
func StateDir() (string, error) {
	if d := os.Getenv(StateDirEnv); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "cmkguard"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the state directory (set %s): %w", StateDirEnv, err)
	}
	return filepath.Join(home, ".local", "state", "cmkguard"), nil
}

// Claim is a plan held by one run.
type Claim struct {
	lock   *os.File
	record string
	// Journal is the journal the plan's record names ("" when none yet).
	Journal string
}

// PlanInUseError says a plan belongs to another run or journal.
type PlanInUseError struct {
	Plan    string
	Journal string // the journal that applies it, when known
	Lost    bool   // that journal no longer exists
	Busy    bool   // a run holds the plan right now
	Found   []string
	// PlanFile is the plan's file, for the way on when the journal is lost.
	PlanFile string
}

func (e *PlanInUseError) Error() string {
	planFile := e.PlanFile
	if planFile == "" {
		planFile = "PLAN.json"
	}
	switch {
	case e.Busy:
		return fmt.Sprintf("plan %s is being applied or rolled back by another cmkguard run right now; wait for it to end", e.Plan)
	case e.Journal != "" && !e.Lost:
		return fmt.Sprintf("plan %s is already applied by journal %s (one plan, one run): continue it with --resume %s, or undo it with --rollback %s", e.Plan, e.Journal, e.Journal, e.Journal)
	case e.Journal != "":
		return fmt.Sprintf("plan %s was applied with journal %s, which no longer exists: carry on from what is in AWS with --resume %s, or undo it with --rollback %s", e.Plan, e.Journal, planFile, planFile)
	}
	return fmt.Sprintf("plan %s has already been applied by another run (found in AWS: %s); continue that run with its journal (--resume JOURNAL), or, if its journal is lost, carry on from what is in AWS with --resume %s, or undo it with --rollback %s",
		e.Plan, strings.Join(e.Found, "; "), planFile, planFile)
}

// ClaimPlan takes plan id's claim in dir (StateDir() when empty) and holds
// its lock until Release. It reads the journal the plan's record names;
// it writes no record (Bind does, once the run has passed its checks).
func ClaimPlan(dir, planID string) (*Claim, error) {
	if !planIDRE.MatchString(planID) {
		return nil, fmt.Errorf("plan id %q is not a plain name", planID)
	}
	if dir == "" {
		d, err := StateDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	plans := filepath.Join(dir, "plans")
	if err := os.MkdirAll(plans, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(plans, planID+".lock"), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("claim plan %s: %w", planID, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errJournalInUse) {
			return nil, &PlanInUseError{Plan: planID, Busy: true}
		}
		return nil, fmt.Errorf("claim plan %s: %w", planID, err)
	}
	c := &Claim{lock: f, record: filepath.Join(plans, planID+".journal")}
	b, err := os.ReadFile(c.record)
	switch {
	case err == nil:
		c.Journal = strings.TrimSpace(string(b))
	case !errors.Is(err, os.ErrNotExist):
		f.Close()
		return nil, fmt.Errorf("claim plan %s: %w", planID, err)
	}
	return c, nil
}

// Check says whether journal may act for the claimed plan: it may when no
// journal is recorded, or the recorded one is journal itself and exists. A
// recorded journal that no longer exists is lost: the way on is from the
// plan's tags (--resume PLAN, --rollback PLAN), never a second journal.
func (c *Claim) Check(planID, journal string) error {
	abs, err := filepath.Abs(journal)
	if err != nil {
		return err
	}
	_, serr := os.Stat(c.Journal)
	lost := errors.Is(serr, os.ErrNotExist)
	switch {
	case c.Journal == "":
		return nil
	case c.Journal == abs && !lost:
		return nil
	}
	return &PlanInUseError{Plan: planID, Journal: c.Journal, Lost: lost}
}

// Bind records journal as the one applying the claimed plan (written to a
// temporary file and renamed, mode 0600).
func (c *Claim) Bind(journal string) error {
	abs, err := filepath.Abs(journal)
	if err != nil {
		return err
	}
	if c.Journal == abs {
		return nil
	}
	tmp := c.record + ".tmp"
	if err := os.WriteFile(tmp, []byte(abs+"\n"), 0o600); err != nil {
		return fmt.Errorf("record plan claim: %w", err)
	}
	if err := os.Rename(tmp, c.record); err != nil {
		return fmt.Errorf("record plan claim: %w", err)
	}
	syncDir(c.record)
	c.Journal = abs
	return nil
}

// Release lets another run take the plan (its record stays).
func (c *Claim) Release() error { return c.lock.Close() }
