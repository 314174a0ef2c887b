from trunkline.commerce.models.agreements import Agreement, AgreementRepresentative
from trunkline.commerce.models.catalog import PriceBook, PriceBookVersion, PriceTier, Product

__all__ = ["Agreement", "AgreementRepresentative", "PriceBook", "PriceBookVersion", "PriceTier", "Product"]
