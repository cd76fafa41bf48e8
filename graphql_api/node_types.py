"""Which GraphQL type name each model's global ids carry."""

from learningplatform import models

NODE_TYPES = {
    models.Course: "Course",
    models.Task: "Task",
    models.User: "User",
    models.Submission: "Submission",
}
