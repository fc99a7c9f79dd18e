"""Compile the translation catalogues into every build, so `pip install` alone is complete.

The metadata lives in setup.cfg; this file only adds the build step.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGUES = "survey_app/translations/*/LC_MESSAGES/messages.po"
SHIPPED = "survey_app/shipped_instruments"  # where create_app looks when instruments/ is absent


class BuildWithCatalogues(build_py):
    """build_py that also compiles the catalogues and ships the instruments."""

    def run(self):
        super().run()
        self._compile_catalogues()
        if not self.editable_mode:  # an editable install reads instruments/ in place
            target = Path(self.build_lib) / SHIPPED
            target.mkdir(parents=True, exist_ok=True)
            for source in sorted((Path(__file__).parent / "instruments").glob("*.yaml")):
                (target / source.name).write_bytes(source.read_bytes())

    def _compile_catalogues(self):
        """messages.mo beside each messages.po, in the build (or in place when editable)."""
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path(__file__).parent.glob(CATALOGUES)):
            relative = po.relative_to(Path(__file__).parent).with_suffix(".mo")
            # an editable install reads the package from the source tree itself
            target = relative if self.editable_mode else Path(self.build_lib) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, target.open("wb") as compiled:
                write_mo(compiled, read_po(source, locale=po.parts[-3]), use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithCatalogues})
