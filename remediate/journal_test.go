package remediate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fixturePlan(t *testing.T) *Plan {
	t.Helper()
	p, err := NewPlan(fixtureRequest(), fixtureFacts())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fixedClock() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) }

func TestJournalRecordsSurviveReopening(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "plan.json.journal")
	j, err := CreateJournal(path, fixturePlan(t), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Record{
		{Type: RecordBegin, Step: "us-east-1/key"},
		{Type: RecordNote, Key: "key-arn/us-east-1", Value: custKey1},
		{Type: RecordDone, Step: "us-east-1/key"},
		{Type: RecordBegin, Step: "us-east-1/orders/create"},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, err := OpenJournal(path, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	want := Progress{
		Begun:   map[string]bool{"us-east-1/key": true, "us-east-1/orders/create": true},
		Done:    map[string]bool{"us-east-1/key": true},
		Notes:   map[string]string{"key-arn/us-east-1": custKey1},
		Skipped: map[string]string{},
	}
	if diff := cmp.Diff(want, j2.Progress()); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	if j2.Plan().ID != "rp-test" {
		t.Errorf("plan id = %q", j2.Plan().ID)
	}
}

func TestCreateJournalRefusesToOverwriteARun(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j")
	j, err := CreateJournal(path, fixturePlan(t), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	_, err = CreateJournal(path, fixturePlan(t), fixedClock)
	if err == nil || !strings.Contains(err.Error(), "--resume "+path) {
		t.Fatalf("err = %v, want a pointer to --resume", err)
	}
}

func TestOpenJournalToleratesATornLastLineOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j")
	j, err := CreateJournal(path, fixturePlan(t), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Record{Type: RecordBegin, Step: "us-east-1/key"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"type":"done","step":"us-ea`)
	f.Close()

	j2, err := OpenJournal(path, fixedClock)
	if err != nil {
		t.Fatalf("a torn last line must be tolerated: %v", err)
	}
	if err := j2.Append(Record{Type: RecordDone, Step: "us-east-1/key"}); err != nil {
		t.Fatal(err)
	}
	j2.Close()
	j3, err := OpenJournal(path, fixedClock)
	if err != nil {
		t.Fatalf("after repair: %v", err)
	}
	defer j3.Close()
	if !j3.Progress().Done["us-east-1/key"] {
		t.Error("the record appended after the torn line was lost")
	}

	bad := filepath.Join(dir, "bad")
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	os.WriteFile(bad, []byte(lines[0]+"garbage\n"+strings.Join(lines[1:], "")), 0o600)
	if _, err := OpenJournal(bad, fixedClock); err == nil || !strings.Contains(err.Error(), "line 2 is not a journal record") {
		t.Fatalf("a corrupt middle line: err = %v", err)
	}
}

func TestOpenJournalRefusesATamperedPlan(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j")
	j, err := CreateJournal(path, fixturePlan(t), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "dms.t3.medium", "dms.t3.large", 1)), 0o600)
	if _, err := OpenJournal(path, fixedClock); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
		t.Fatalf("err = %v, want a digest mismatch", err)
	}
}

func TestCreateJournalRestartsARunKilledBeforeItsPlanRecord(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j")
	if !Unstarted(path) {
		t.Fatal("a missing journal is unstarted")
	}
	if err := os.WriteFile(path, []byte(`{"type":"plan","plan":{"ver`), 0o600); err != nil {
		t.Fatal(err)
	}
	if !Unstarted(path) {
		t.Fatal("a journal with a torn first line is unstarted")
	}
	j, err := CreateJournal(path, fixturePlan(t), fixedClock)
	if err != nil {
		t.Fatalf("CreateJournal over a torn first record: %v", err)
	}
	j.Close()
	if Unstarted(path) {
		t.Fatal("a journal with its plan record is started")
	}
	j2, err := OpenJournal(path, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	j2.Close()
}

// TestAJournalIsUsedByOneRunAtATime: a second apply, a resume or a
// rollback of a journal in use would act on the same resources at the same
// time (a rollback could delete the replacement a task is moving to).
func TestAJournalIsUsedByOneRunAtATime(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j")
	j, err := CreateJournal(path, fixturePlan(t), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(path, fixedClock); err == nil || !strings.Contains(err.Error(), "is in use by another cmkguard run") {
		t.Fatalf("opening a journal in use: err = %v, want a refusal", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, err := OpenJournal(path, fixedClock)
	if err != nil {
		t.Fatalf("opening the journal once the first run ended: %v", err)
	}
	if _, err := OpenJournal(path, fixedClock); err == nil || !strings.Contains(err.Error(), "is in use by another cmkguard run") {
		t.Fatalf("opening a resumed journal: err = %v, want a refusal", err)
	}
	j2.Close()

	t.Run("an unstarted journal still being written is not emptied", func(t *testing.T) {
		unstartedPath := filepath.Join(dir, "u")
		first, err := os.OpenFile(unstartedPath, os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		if err := lockFile(first); err != nil {
			t.Fatal(err)
		}
		partial := `{"type":"plan","plan":{"ver`
		first.WriteString(partial)
		if _, err := CreateJournal(unstartedPath, fixturePlan(t), fixedClock); err == nil || !strings.Contains(err.Error(), "is in use") {
			t.Fatalf("err = %v, want a refusal", err)
		}
		if b, _ := os.ReadFile(unstartedPath); string(b) != partial {
			t.Errorf("the journal of the run holding it was changed to %q", b)
		}
	})
}
