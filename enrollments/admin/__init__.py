"""The admin pages of courses, sections, enrolments and certificates.

- catalogue: the courses, sections, enrolments and certificates lists and pages;
- course_roster: the course page's roster, its enrolment-method switch and its confirmation;
- terms: the terms (Canvas's enrolment terms) that courses belong to.

Every model is registered here, in one place.
"""

from django.contrib import admin

from enrollments.admin.catalogue import CertificateAdmin, CourseAdmin, EnrollmentAdmin, SectionAdmin
from enrollments.admin.terms import TermAdmin
from enrollments.models import Certificate, Course, Enrollment, EnrollmentTerm, Section

admin.site.register(EnrollmentTerm, TermAdmin)
admin.site.register(Course, CourseAdmin)
admin.site.register(Section, SectionAdmin)
admin.site.register(Enrollment, EnrollmentAdmin)
admin.site.register(Certificate, CertificateAdmin)
