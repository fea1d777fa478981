package prove

import "context"
import "net/http"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"

// The account that holds the key is recorded in the journal by the step
// that found it: a resume after a failed revoke goes straight there, with
// no second search of the subusers.
func TestResumeGoesStraightToTheOwner(t *testing.T) {
	for _, region := range []string{"global", "eu"} {
		t.Run(region, func(t *testing.T) {
			fx := ownership(region)(time.Now())
			w := newWorldFrom(t, fx)
			hook := &stepHook{step: "revoke",
				on:  func() { w.sg.InjectFault(sendgridsim.Fault{Kind: sendgridsim.FaultStatus, Status: 500}) },
				off: w.sg.ClearFaults}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := w.run(ctx, hook)
			if err != nil || res.ExitCode != 4 {
				t.Fatalf("faulty run: %v %+v", err, res)
			}
			before := len(w.sg.Requests())
			res2, err := w.resume(ctx, res.Dir)
			if err != nil || res2.ExitCode != 0 || res2.Report.Run.Containment.Status != "confirmed" {
				t.Fatalf("resume: %v %+v", err, res2)
			}
			owner := "brand-4"
			if region == "eu" {
				owner = "brand-5"
			}
			// The resume's first request is the DELETE, in the owner's
			// account on its host; exactly one DELETE in all.
			after := w.sg.Requests()[before:]
			if len(after) == 0 || after[0].Method != http.MethodDelete || after[0].Header.Get("On-Behalf-Of") != owner || after[0].Host != region {
				t.Fatalf("the resume did not go straight to %s on the %s host: first request %+v", owner, region, after[0])
			}
			dels := 0
			for _, r := range after {
				if r.Method == http.MethodDelete {
					dels++
				}
			}
			if dels != 1 {
				t.Fatalf("%d DELETEs in the resume", dels)
			}
			if ok, why := keyWorks(w); ok {
				t.Fatalf("the key still works: %s", why)
			}
		})
	}
}
