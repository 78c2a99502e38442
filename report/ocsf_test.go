package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/finding"
)

func TestOCSFMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtureCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (&OCSF{}).Write(&buf, tc.report); err != nil {
				t.Fatal(err)
			}
			compareWithGolden(t, tc.name+".ocsf.jsonl", buf.Bytes())
		})
	}
}

func TestOCSFWritesOneComplianceFindingPerLine(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	var buf bytes.Buffer
	if err := (&OCSF{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	type event struct {
		ClassUID    int   `json:"class_uid"`
		CategoryUID int   `json:"category_uid"`
		TypeUID     int   `json:"type_uid"`
		ActivityID  int   `json:"activity_id"`
		Time        int64 `json:"time"`
		SeverityID  int   `json:"severity_id"`
		StatusID    int   `json:"status_id"`
		Compliance  struct {
			StatusID int    `json:"status_id"`
			Control  string `json:"control"`
		} `json:"compliance"`
		FindingInfo struct {
			UID string `json:"uid"`
		} `json:"finding_info"`
	}
	var got []event
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not a JSON object: %v", len(got)+1, err)
		}
		got = append(got, e)
	}
	var want []event
	for _, f := range r.Findings {
		e := event{ClassUID: 2003, CategoryUID: 2, TypeUID: 200301, ActivityID: 1, Time: time.Date(2026, time.November, 27, 15, 0, 0, 0, time.UTC).UnixMilli()}
		e.SeverityID, _ = ocsfSeverity(f.Severity)
		e.Compliance.Control = f.RuleID
		e.FindingInfo.UID = "cmkguard-" + findingFingerprint(&f)
		switch f.Status {
		case finding.StatusPass:
			e.StatusID, e.Compliance.StatusID = 4, 1
		case finding.StatusFail:
			e.StatusID, e.Compliance.StatusID = 1, 3
		case finding.StatusUnknown:
			e.StatusID, e.Compliance.StatusID = 1, 0
		case finding.StatusSuppressed:
			e.StatusID, e.Compliance.StatusID = 3, 3
		}
		want = append(want, e)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestOCSFRejectsAReportTimeItCannotRead(t *testing.T) {
	t.Parallel()
	r := fixtureEveryVerdict()
	r.GeneratedAt = "yesterday"
	if err := (&OCSF{}).Write(&bytes.Buffer{}, r); err == nil {
		t.Error("want an error for an unreadable report time")
	}
}
