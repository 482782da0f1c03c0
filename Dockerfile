FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shop_ops ./shop_ops
COPY roles ./roles
COPY payroll ./payroll
COPY inventory ./inventory
RUN pip install .
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput
# /app/media: files the worker writes for the web app (Excel exports), a volume shared by both in docker-compose.
RUN useradd --create-home shopops && mkdir -p /app/media && chown -R shopops /app
USER shopops
EXPOSE 8000
CMD ["gunicorn", "shop_ops.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
