package scale

import (
	"math/rand/v2"
	"strings"
)

// The words of the fictional data. Every name is made up; the accounts are
// in the plain, factual, non-blaming language the concern form asks for.

var firstNames = []string{
	"Amara", "Ben", "Chloe", "Dev", "Ella", "Farah", "George", "Hana", "Isaac", "Jade", "Kacper", "Layla",
	"Mason", "Nia", "Oscar", "Priya", "Quinn", "Ruby", "Sami", "Tia", "Usman", "Violet", "Wiktor", "Yara",
	"Zain", "Aisha", "Bartek", "Callum", "Daisy", "Eshan", "Freya", "Grace", "Harvey", "Imogen", "Jayden",
	"Keira", "Leo", "Maisie", "Noah", "Olivia", "Poppy", "Reuben", "Sofia", "Theo", "Uma", "Willow", "Yusuf",
	"Zara", "Alfie", "Bethan", "Cerys", "Dylan", "Efe", "Fionn", "Gabriel", "Hollie", "Ibrahim", "Jessica",
	"Kai", "Lily", "Mohammed", "Niamh", "Owen", "Phoebe", "Rhys", "Summer", "Tobias", "Evie",
}

var lastNames = []string{
	"Okafor", "Carter", "Walsh", "Nowak", "Clarke", "Mills", "Patel", "Hughes", "Begum", "Kowalski", "Evans",
	"O'Connor", "Ahmed", "Lindqvist", "Mensah", "Jones", "Murphy", "Khan", "Thompson", "Adeyemi", "Fraser",
	"Hussain", "Wright", "Novak", "Price", "Ali", "Morgan", "Chowdhury", "Baker", "Douglas", "Ellis",
	"Fernandes", "Green", "Hart", "Ibrahim", "Jackson", "Kelly", "Lewis", "Malik", "Nash", "Osei", "Parry",
	"Quinlan", "Reid", "Singh", "Turner", "Usher", "Vaughan", "Wood", "Yilmaz", "Zielinski", "Abbott",
	"Bryant", "Costa", "Dunn", "Egan", "Flynn", "Gallagher", "Hale", "Irwin",
}

var placeNames = []string{
	"Ashbourne", "Brackley", "Calderbrook", "Dunmere", "Elmstead", "Fernhill", "Glenholme", "Hartwell",
	"Ivybridge Vale", "Juniper Hill", "Kingsmere", "Larchfield", "Millbrook", "Northcote", "Oakfield",
	"Pennington", "Queensbury Park", "Redwater", "St Aidan's", "Thornbury Green", "Upton Lea", "Valley Road",
	"Westmoor", "Yewtree", "Alderley Cross", "Beacon Rise", "Copperfield", "Dale End", "Eastgate", "Foxley",
}

var schoolKinds = []string{"Academy", "Primary School", "High School", "Community School", "C of E Primary",
	"School", "College", "Junior School", "Infant and Nursery School", "Free School"}

var locations = []string{"The school gate", "The playground", "The form room", "The corridor by the science labs",
	"The canteen", "The changing rooms", "The bus stop outside school", "The library", "A lesson", "The field at lunch",
	"The car park", "Online, in a group chat", "The toilets by the sports hall", "Breakfast club", "After-school club"}

// account is one kind of concern: its categories, the CSE indicators
// (codes) it may carry, and the factual account with %s for the child's
// first name.
type account struct {
	categories []string
	indicators []string
	text       string
	words      string // the child's own words ("" for none)
}

var accounts = []account{
	{[]string{"cse"}, []string{"cars_unknown_adults", "older_groups", "unexplained_money_gifts"},
		"%s was collected from the school gate by an adult man who is not on the contact list. They drove off quickly when I walked over.",
		"He's just a friend, he buys me stuff"},
	{[]string{"cse", "online_safety"}, []string{"sexual_conversations", "unknown_callers", "pressured_images"},
		"%s showed a friend messages from an older person online asking for photos. %s seemed frightened and deleted the app when I asked about it.",
		"He said he'd tell everyone if I didn't"},
	{[]string{"cse"}, []string{"missing", "places_of_concern", "moved_around"},
		"%s was absent yesterday and told friends they had been in another town overnight with people they met at a party.", ""},
	{[]string{"cse", "cce"}, []string{"gangs", "unexplained_money_gifts", "exploited_peers"},
		"%s arrived with a new phone and expensive trainers and is often picked up by older teenagers in a car after school.",
		"I'm just doing a favour for someone"},
	{[]string{"neglect"}, nil,
		"%s came in without a coat for the third day running and was very hungry at break. They said there was no food at home at the weekend.",
		"There wasn't any food"},
	{[]string{"physical_abuse"}, nil,
		"%s has a bruise on the upper arm in the shape of fingertips. When I asked, %s said they fell over and changed the subject.", ""},
	{[]string{"emotional_abuse"}, nil,
		"%s became very upset when told a letter would go home and said they would be shouted at all night.", "Please don't tell my mum"},
	{[]string{"nudes", "child_on_child"}, []string{"image_threats"},
		"An older pupil shared a picture of %s in a group chat and others are commenting on it. %s is aware and was crying in the toilets.", ""},
	{[]string{"self_harm_mental_health"}, nil,
		"%s has healing cuts on the forearm that were visible in PE. %s said it has been happening for a few weeks.",
		"It helps when everything is too much"},
	{[]string{"self_harm_mental_health"}, nil,
		"%s said they have been feeling very low and do not see the point in coming to school any more.", "What's the point"},
	{[]string{"domestic_abuse"}, nil,
		"%s told me the police came to the house again last night and they hid in the bedroom with their little brother.", ""},
	{[]string{"child_on_child", "sexual_violence_harassment"}, nil,
		"%s reported that a group of boys in Year 10 keep touching them on the stairs between lessons and make comments.", ""},
	{[]string{"radicalisation"}, nil,
		"%s has been repeating extreme views about a religious group in lessons and showed classmates videos from a channel promoting violence.", ""},
	{[]string{"absent_from_education"}, nil,
		"%s has not been in school for eight days and calls to the family have not been answered.", ""},
	{[]string{"fgm"}, nil,
		"%s mentioned an upcoming trip abroad for a special ceremony to become a woman and seemed worried about it.", ""},
	{[]string{"other"}, nil,
		"%s was waiting outside school for over an hour after pick-up time and said nobody was at home.", ""},
}

var decisionReasons = []string{
	"Spoke with the child and the family; the explanation is consistent and there are no other concerns on file.",
	"Pattern of concerns over the term meets the threshold for a referral to children's social care.",
	"Early help assessment offered to the family, who agreed to take part.",
	"Monitoring in school for six weeks with a weekly check-in with the pastoral lead.",
	"Advice sought from the front door team, who advised the school to monitor and record.",
	"Police informed because the child may be at risk from an adult outside the family.",
	"Referred to Prevent after discussion with the local authority's Prevent lead.",
}

var childsWishes = []string{
	"Wants things to stop and does not want to get anyone into trouble.",
	"Wants to stay at home and to keep coming to school.",
	"Asked that their friends are not told.",
	"Wants to talk to a trusted adult in school each week.",
	"Did not want to say.",
}

var actionNotes = []string{
	"Spoke with the child in a quiet room with the pastoral lead present.",
	"Called the parent; they will come in to meet the DSL on Monday.",
	"Referral made through the front door portal.",
	"Discussed at the multi-agency meeting; actions agreed with the social worker.",
	"Checked in with the child at lunch; they seemed calmer.",
	"Safety plan agreed with the child and shared with their form tutor.",
	"Advice sought from the local authority designated officer's team.",
}

var actionKinds = []string{"conversation_child", "parent_contact", "advice_sought", "multi_agency_meeting",
	"safety_plan", "monitoring", "other"}

var outcomes = []string{"no_further_action", "monitor", "early_help", "social_care", "police", "advice_only",
	"prevent", "other_agency"}

var outcomeSummaries = []string{
	"No further concerns after monitoring; the child is settled and knows who to talk to.",
	"Case open to children's social care; the school contributes to the plan.",
	"Early help plan in place and reviewed; closed in school.",
	"Police investigation concluded; support in school continues through the pastoral team.",
}

var unknownChildren = []string{"A girl in Year 9 with a red coat, name not known",
	"A boy from another school waiting at the gate", "A younger child seen with the group, name not known"}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// fill puts name in each %s of text.
func fill(text, name string) string { return strings.ReplaceAll(text, "%s", name) }
