"""factory_boy factories for every consolidated model."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from learningplatform.choices import CourseStatus, DifficultyLevel, TaskStatus, TaskType, Visibility
from learningplatform.models import Course, Submission, Task, User
from learningplatform.services import user_make_instructor


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    bio = factory.Faker("paragraph")
    password = factory.django.Password("correct horse battery staple")


class InstructorFactory(UserFactory):
    """A user in the Instructors group, who may create courses."""

    username = factory.Sequence(lambda n: f"instructor{n}")

    @factory.post_generation
    def instructor_role(user, create, extracted, **kwargs):
        if create:
            user_make_instructor(user=user)


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Faker("catch_phrase")
    description = factory.Faker("paragraph")
    instructor = factory.SubFactory(InstructorFactory)
    status = CourseStatus.PUBLISHED
    visibility = Visibility.PUBLIC
    learning_objectives = factory.Faker("sentence")
    prerequisites = None
    duration = timedelta(weeks=6)
    difficulty_level = DifficultyLevel.BEGINNER


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("paragraph")
    course = factory.SubFactory(CourseFactory)
    task_type = TaskType.ASSESSMENT
    status = TaskStatus.PUBLISHED
    difficulty_level = DifficultyLevel.INTERMEDIATE
    created_by = factory.SelfAttribute("course.instructor")
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    max_score = Decimal("100.00")
    passing_score = Decimal("50.00")
    max_submissions = 3


class QuizTaskFactory(TaskFactory):
    task_type = TaskType.QUIZ
    time_limit = 30
    is_randomized = True


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    task = factory.SubFactory(TaskFactory)
    user = factory.SubFactory(UserFactory)
    content = factory.Faker("paragraph")
    attempt = 1
