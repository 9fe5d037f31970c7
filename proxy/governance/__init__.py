"""What the collectivité's charter asks for, built in: charter acknowledgement, AI-generated notice,
human control shown in the answer, pilot reports per service and a public transparency page."""
