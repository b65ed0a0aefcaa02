package concern

// Indicator is one sign of child sexual exploitation (CSE) that a member of
// staff may have noticed. Code is stored; Label is what people read.
type Indicator struct {
	Code  string
	Label string
}

// IndicatorGroup is a heading of the indicator list and its indicators.
type IndicatorGroup struct {
	Name       string
	Indicators []Indicator
}

// Indicators is the CSE indicator taxonomy, grouped as in the school CSE
// guidance it comes from (relationships and whereabouts; behaviour and
// wellbeing; physical signs; online), with the standard extras (unexplained
// money, gifts or phones; getting into cars with unknown adults; many
// unknown callers; telling then taking it back) where they fit.
//
// The wording follows the Children's Society's "Appropriate Language" guide:
// it describes what happens to a child, never blames them — no
// "promiscuity", no "risk-taking" as the child's choice, no "boyfriend" for
// an adult who abuses. Indicators are signs for the DSL to weigh, never a
// score: Haven adds nothing up.
func Indicators() []IndicatorGroup {
	return []IndicatorGroup{
		{Name: "Relationships and whereabouts", Indicators: []Indicator{
			{"abusive_relationship", "In a relationship that seems controlling or abusive"},
			{"fearful_of_people", "Frightened of certain people, places or situations"},
			{"older_groups", "Spending time with older people, or groups they would not usually know"},
			{"exploited_peers", "Spending time with other children who may be being exploited"},
			{"gangs", "Involved with or affected by gangs or gang violence"},
			{"much_older_partner", "In a relationship with someone much older"},
			{"places_of_concern", "Seen at places of concern, such as hotels or addresses linked to exploitation"},
			{"moved_around", "Taken to places they do not know, or moved around the country"},
			{"missing", "Going missing from home, care or school"},
			{"cars_unknown_adults", "Getting into cars with adults who are not known to the family"},
		}},
		{Name: "Behaviour and wellbeing", Indicators: []Indicator{
			{"withdrawn", "Withdrawn"},
			{"sudden_change", "Suddenly behaving differently"},
			{"anxious", "Anxious"},
			{"clingy", "Clingy"},
			{"low_mood", "Low in mood or depressed"},
			{"aggression", "Angry or aggressive"},
			{"sleep", "Problems sleeping, or nightmares"},
			{"eating", "Changes in eating, or an eating disorder"},
			{"wetting_soiling", "Wetting the bed or soiling clothes"},
			{"unsafe_situations", "Being put in unsafe situations"},
			{"absence", "Often absent from school"},
			{"obsessive", "Obsessive behaviour"},
			{"alcohol_drugs", "Being given or using alcohol or drugs"},
			{"self_harm", "Self-harm or thoughts of suicide"},
			{"sexual_language", "Sexual language or knowledge unexpected for their age"},
			{"early_sexual_activity", "Sexual activity at a young age"},
			{"unexplained_money_gifts", "Money, gifts or a phone they cannot explain"},
			{"disclosure_withdrawn", "Told someone what was happening, then took it back"},
		}},
		{Name: "Physical signs", Indicators: []Indicator{
			{"soreness", "Anal or vaginal soreness"},
			{"discharge", "An unusual discharge"},
			{"sti", "A sexually transmitted infection"},
			{"pregnancy", "Pregnancy"},
		}},
		{Name: "Online", Indicators: []Indicator{
			{"pressured_images", "Pressured or forced to send sexual images of themselves"},
			{"webcam_activity", "Made to take part in sexual activity on a webcam or phone"},
			{"sexual_conversations", "Drawn into sexual conversations by text or online"},
			{"image_threats", "Threatened that images, videos or messages will be shared"},
			{"unknown_callers", "Many calls or messages from people the family does not know"},
		}},
	}
}

// IndicatorLabel returns the label of an indicator code, and whether it is one.
func IndicatorLabel(code string) (string, bool) {
	for _, g := range Indicators() {
		for _, in := range g.Indicators {
			if in.Code == code {
				return in.Label, true
			}
		}
	}
	return "", false
}
