package ghtoken

import "errors"
import "fmt"

import "github.com/google/go-github/v84/github"

// maxListItems bounds one listing of a surface (hooks, keys, invitations,
// installations): 10 pages of 100.
const maxListItems = 1000

// listAll reads every page of one listing, 100 items a page, up to limit
// items. The first page alone is not the surface: an attacker's invitation
// or hook is the newest, on the last page. A listing that goes past limit,
// or whose pagination does not end (a next page already read, a page
// number or a cursor keyir cannot follow, more pages than limit can fill:
// a broken or hostile server), stops: over says why, and the items read
// are returned, so the caller records the surface as not read in full
// rather than as what the first pages held. err is the failed page's, with
// its response.
func listAll[T any](limit int, fetch func(*github.ListOptions) ([]T, *github.Response, error)) (items []T, over string, resp *github.Response, err error) {
	opts := &github.ListOptions{PerPage: 100}
	for pages := 1; ; pages++ {
		list, r, err := fetch(opts)
		if err != nil {
			return items, "", r, err
		}
		if list == nil {
			// A 200 without the list (null, {}) is no answer about the
			// surface: never an empty one.
			return items, "", r, errors.New("the answer holds no list")
		}
		items = append(items, list...)
		switch {
		case len(items) > limit:
			return items[:limit], fmt.Sprintf("more than %d: the rest were not read", limit), r, nil
		case r == nil || r.Response == nil:
			return items, "", r, nil
		case r.NextPage == 0 && (r.Cursor != "" || r.After != "" || r.NextPageToken != ""):
			return items, "its next page is named by a cursor, not a page number: the rest were not read", r, nil
		case r.NextPage == 0:
			return items, "", r, nil
		case r.NextPage <= max(opts.Page, 1):
			return items, fmt.Sprintf("its pagination does not end (page %d names page %d next): the rest were not read", max(opts.Page, 1), r.NextPage), r, nil
		case pages > limit/100+1:
			return items, fmt.Sprintf("more than %d pages: the rest were not read", pages), r, nil
		}
		opts.Page = r.NextPage
	}
}
