-- The optional answer writer (A7): on an agent answer, "used" when the text
-- was rephrased by the workspace's LLM endpoint, or why the extractive answer
-- was sent instead ("timeout", "http_error", ...). NULL when no writer is set.
ALTER TABLE messages ADD COLUMN writer TEXT;
