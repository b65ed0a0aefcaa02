package app

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/pupil"
)

// demoPupils are Demo Academy's roll: fictional children, eight in each of
// Years 7 to 11, so the "Report a concern" journey can be tried at once.
// Any likeness to a real child is chance.
var demoPupils = [][2]string{
	// Year 7
	{"Amara", "Okafor"}, {"Leo", "Bennett"}, {"Zainab", "Hussain"}, {"Oliver", "Kowalski"},
	{"Maisie", "Clarke"}, {"Tyler", "Grant"}, {"Priya", "Sharma"}, {"Callum", "Reid"},
	// Year 8
	{"Ella", "Thompson"}, {"Kacper", "Nowak"}, {"Aisha", "Begum"}, {"Harvey", "Mills"},
	{"Ruby", "O'Connor"}, {"Jayden", "Campbell"}, {"Freya", "Lewis"}, {"Mohammed", "Ali"},
	// Year 9
	{"Lily-Mae", "Okafor"}, {"Ethan", "Walsh"}, {"Chloe", "Evans"}, {"Daniel", "Mensah"},
	{"Grace", "Fletcher"}, {"Ibrahim", "Yusuf"}, {"Sophie", "Turner"}, {"Kai", "Robinson"},
	// Year 10
	{"Jasmine", "Patel"}, {"Noah", "Hughes"}, {"Millie", "Carter"}, {"Reuben", "Adeyemi"},
	{"Hannah", "Doyle"}, {"Alfie", "Morgan"}, {"Layla", "Ahmed"}, {"Finley", "Price"},
	// Year 11
	{"Olivia", "Byrne"}, {"Jamal", "Williams"}, {"Isla", "Fraser"}, {"Luca", "Rossi"},
	{"Niamh", "Kelly"}, {"George", "Shaw"}, {"Maryam", "Khan"}, {"Connor", "Pearce"},
}

// seedDemoRoll puts the demo roll on the school's roll unless it already has
// children.
func seedDemoRoll(ctx context.Context, pool *pgxpool.Pool, schoolID int64, now time.Time) (int, error) {
	pupils := pupil.NewService(pool)
	by := actor.SystemIn(schoolID)
	n, err := pupils.RollSize(ctx, by)
	if err != nil || n > 0 {
		return 0, err
	}
	added, err := pupils.AddToRoll(ctx, by, demoRoll(now))
	if err != nil {
		return 0, fmt.Errorf("demo roll: %w", err)
	}
	return len(added), nil
}

// demoRoll gives each demo pupil a year group and a date of birth that fits
// it in the school year of now (Year 7 are 11 on 1 September), and a
// fictional UPN.
func demoRoll(now time.Time) []pupil.NewChild {
	start := now.Year() // the school year starts on 1 September
	if now.Month() < time.September {
		start--
	}
	out := make([]pupil.NewChild, 0, len(demoPupils))
	for i, name := range demoPupils {
		year := pupil.YearGroup(7 + i/8)
		// Born between 1 September and 31 August, year+5 and year+4 years
		// before the school year began; spread over the months.
		dob := time.Date(start-int(year)-5, time.September, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i%8)*45+3)
		out = append(out, pupil.NewChild{
			FirstName:   name[0],
			LastName:    name[1],
			DateOfBirth: &dob,
			YearGroup:   &year,
			UPN:         fmt.Sprintf("H8012%08d", 1000+i),
			MISID:       fmt.Sprintf("DEMO-%04d", 1000+i),
		})
	}
	return out
}
