from trunkline.commerce.models.agreements import Agreement, AgreementRepresentative

__all__ = ["Agreement", "AgreementRepresentative"]
