from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional


class UploadForm(FlaskForm):
    document = FileField(_l("Plan document (.txt, .docx, .pdf or a scan)"),
                         validators=[FileRequired(_l("Choose a file to upload."))])
    name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=300)])
    parent = SelectField(_l("Implements (optional)"), coerce=int, default=0,
                         validate_choice=True)
