"""Practice mode: the trainee, as the therapist, talks with a simulated integration client who
reacts to how they speak (personas, the client's hidden state, the client's replies), with live
MITI feedback and an MI-style debrief by the AI supervisor."""
