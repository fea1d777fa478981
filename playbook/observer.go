package playbook

import "github.com/keyir/keyir/report"

// Observers tells each of its observers about the run, in order: the
// terminal's step list and the notification hub watch the same run.
// Nil entries are skipped.
type Observers []Observer

var _ Observer = Observers(nil)

// ActObserver is an Observer told, on the runner's goroutine, right before
// a step's action first runs and right after its last attempt returns.
// StepStarted and StepFinished come once the journal's commit has made
// them durable, and a step that only reads may act before that (see Run);
// these two bracket exactly the action. A harness that makes one step's
// requests fail (the fault matrix) uses them.
type ActObserver interface {
	Observer
	StepActing(step report.Step)
	StepActed(step report.Step)
}

var _ ActObserver = Observers(nil)

func (os Observers) StepActing(s report.Step) {
	for _, o := range os {
		if ao, ok := o.(ActObserver); ok {
			ao.StepActing(s)
		}
	}
}

func (os Observers) StepActed(s report.Step) {
	for _, o := range os {
		if ao, ok := o.(ActObserver); ok {
			ao.StepActed(s)
		}
	}
}

func (os Observers) RunStarted(rep *report.Report, dir string) {
	for _, o := range os {
		if o != nil {
			o.RunStarted(rep, dir)
		}
	}
}

func (os Observers) StepStarted(s report.Step) {
	for _, o := range os {
		if o != nil {
			o.StepStarted(s)
		}
	}
}

func (os Observers) StepProgress(s report.Step, text string) {
	for _, o := range os {
		if o != nil {
			o.StepProgress(s, text)
		}
	}
}

func (os Observers) StepFinished(s report.Step) {
	for _, o := range os {
		if o != nil {
			o.StepFinished(s)
		}
	}
}

func (os Observers) RunFinished(rep *report.Report, dir string) {
	for _, o := range os {
		if o != nil {
			o.RunFinished(rep, dir)
		}
	}
}
