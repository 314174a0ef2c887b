"""The support desk's pure core: business calendars and SLA deadlines (PT-7.1 to PT-7.3). No Django here."""
